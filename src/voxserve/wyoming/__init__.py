"""The Wyoming protocol (Home Assistant's Assist, Rhasspy and other local voice assistants):
a TCP server speaking with the HTTP service's voices, scheduler, cache and limits."""
