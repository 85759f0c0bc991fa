"""STIX 2.1 as Garante delivers it: markings, the trace extension, revoked versions."""
