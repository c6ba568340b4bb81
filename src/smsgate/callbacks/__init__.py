"""Status callbacks and MO webhooks: signing, URL checks, the requests, and the outbox's
"http" channel that delivers them."""
