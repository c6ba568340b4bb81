"""asyncio shells around the sans-IO protocol cores."""
