"""chargen's terminal app (Textual); importing this package stays light so the CLI starts fast."""
