"""An organization's logo: on its complaint posters and its public complaint page."""
