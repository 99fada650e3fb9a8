"""A fake Meta: the WhatsApp Cloud API both ways, for development, demos and tests (never on in production)."""
