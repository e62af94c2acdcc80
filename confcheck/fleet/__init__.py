"""Many machines: read the per-host results that Ansible brought back and merge them."""
