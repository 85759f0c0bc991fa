"""Reading upstreams: the I/O that brings objects from where intelligence lives (a TAXII 2.1
collection for now). What becomes of the objects is the service's to decide."""
