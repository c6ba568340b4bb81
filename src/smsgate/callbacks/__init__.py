"""Status callbacks and MO webhooks: signing, URL checks, and the worker that delivers the
outbox's "http" items with retries."""
