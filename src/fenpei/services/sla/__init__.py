"""First-contact SLAs in business time: calendars, policies, clocks and the sla-check job."""
