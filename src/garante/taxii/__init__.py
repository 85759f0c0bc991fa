"""TAXII 2.1 for partners: one read-only collection each, of what may be delivered to it now."""
