"""What leaves the library as a picture or a file: charts, chart images, CSV and workbooks, and
the management report."""
