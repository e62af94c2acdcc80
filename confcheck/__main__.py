from confcheck.cli import run

run()
