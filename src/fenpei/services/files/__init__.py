"""Files and attachments (资料): the file store port and the attachment use cases."""
