"""The session report: the terminal table (terminal), the JSON document (json_report) and the HTML page (html)."""
