"""Outgoing mail, for password reset links: plain smtplib, settings from SMTP_*."""

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage

from app.config import settings


def enabled() -> bool:
    return bool(settings.smtp_host)


def send_reset_link(*, to: str, url: str, expires_at: datetime) -> None:
    message = EmailMessage()
    message["Subject"] = "Reset your Expense Tracker password"
    message["From"] = settings.smtp_from
    message["To"] = to
    message.set_content(
        "Someone, hopefully you, asked to reset the password of your Expense Tracker account.\n\n"
        f"Open this link to choose a new one (it works once, until {expires_at:%Y-%m-%d %H:%M} UTC):\n\n"
        f"{url}\n\n"
        "If you did not ask, ignore this email: your password stays as it is.\n"
    )
    context = ssl.create_default_context()
    if settings.smtp_security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=20, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20)
    with smtp:
        if settings.smtp_security == "starttls":
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)
