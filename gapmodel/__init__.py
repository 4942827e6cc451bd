"""gapmodel: expectation-gap (SERVQUAL) analytics for customer-service survey waves."""

__version__ = "0.1.0"
