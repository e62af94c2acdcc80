from confcheck.entry import run

run()
