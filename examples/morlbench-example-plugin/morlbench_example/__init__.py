"""An example morlbench plugin (docs/plugins.md): one method, registered through an entry point."""
