"""The vocabulary the test cases are judged in, below every catalog."""
