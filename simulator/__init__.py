"""pcsim: watch real producers and consumers share a bounded buffer."""

__version__ = "0.1.0"
