"""Backup and restore (备份与恢复): what a backup holds (``manifest``), which backups the
schedule keeps (``retention``), and the admins' list, download and "back up now"
(``catalog``). The archives themselves are made by ``adapters/backup``."""
