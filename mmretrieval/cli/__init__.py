"""The ``mmretrieval`` command line: one module per subcommand."""
