"""From an upload's bytes to a validated wave: readers, column naming, cell checks, the wide and
long layouts, the validation report; and a stored wave back out as a file."""
