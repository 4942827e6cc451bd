"""Pure statistics over respondent x pair matrices: histograms, gap tables, comparisons,
reliability and the zone of tolerance, priorities, and the standard set of tables."""
