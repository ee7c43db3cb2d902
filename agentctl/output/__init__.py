"""Everything agentctl writes to a terminal. The only package that imports rich."""
