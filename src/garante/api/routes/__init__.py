"""One router per resource group."""
