"""The vocabulary every layer shares: errors, settings, the questionnaire and column names."""
