"""The 114-unit registry, tenant resolution and automatic scoping."""
