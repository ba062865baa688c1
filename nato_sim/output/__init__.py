"""Writing things out, knowing nothing of what they are: files written atomically, CSV, tidy
tables for pandas and HTML, and matplotlib figures saved to PNG or SVG."""
