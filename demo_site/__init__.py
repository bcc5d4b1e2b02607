"""The demo store's web site: the web chat page, playing the store's backend that signs identity."""
