"""Attachments (资料) as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AttachmentRead(BaseModel):
    """One file of a customer: what it is (type sniffed from its content), who sent it when."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    task_id: int | None = None
    follow_up_id: int | None = None
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: int | None
    uploader_name: str
    uploaded_at: datetime
    download_url: str = ""
    preview_url: str | None = None
