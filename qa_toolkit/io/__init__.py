"""Files in and out: audio, transcripts (JSON, text, SRT), call metadata, discovery, exports."""
