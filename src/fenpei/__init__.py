"""fenpei (分配): decides which salesperson owns each customer, and records why."""

__version__ = "0.1.0"
