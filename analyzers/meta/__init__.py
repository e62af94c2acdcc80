"""Rules about confcheck's own suppression comments (the findings come from confcheck/suppress.py)."""
