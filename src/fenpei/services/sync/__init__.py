"""CRM sync (同步): pull customers and owners from a CRM of record, push owner changes back."""
