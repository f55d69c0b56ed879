"""The Streamlit page: the reader's search, result cards, feedback and the editor panel."""
