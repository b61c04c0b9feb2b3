"""CRM adapters for sync: one module per CRM's API (services/sync/ports.py ``CrmAdapter``)."""
