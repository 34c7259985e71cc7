"""The asset database: talent and their rights, templates, translation memory, glossary."""
