"""One module per command that has outgrown cli.py's typer signature."""
