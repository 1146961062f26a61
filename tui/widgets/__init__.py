"""The app's widgets: corpus pane, training pane, loss curve, output view, prompt bar, status line."""
