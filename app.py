"""The NETs Search page: `streamlit run app.py` (editors: `streamlit run app.py -- --editor`).

All page logic lives in `nets_search.page.reader`; settings come from NETS_SEARCH_* environment variables.
"""

import sys

from nets_search.page.reader import main

main(sys.argv[1:])
