"""Multimodal RAG: photos and text passages in one collection, one question, one fused context.

    python examples/multimodal_rag.py "What does the launch look like?"

Prints the context bundle (JSON) and the prompt a vision-language model would get. Set
MMRETRIEVAL_LLM_URL (an OpenAI-compatible endpoint) to also generate an answer with
`mmretrieval rag`.
"""

import sys
import tempfile
from pathlib import Path

from mmretrieval import load_model
from mmretrieval.indexing import Index
from mmretrieval.rag.retrieve import retrieve

ASSETS = Path(__file__).resolve().parent.parent / "assets"
NOTES = """# Launch log
The Falcon 9 lifted off at dawn carrying the DSCOVR satellite; the exhaust plume lit the clouds orange.

# Office notes
The espresso machine on the second floor makes the best coffee. Chelsea the cat sleeps on the sofa.
"""

question = sys.argv[1] if len(sys.argv) > 1 else "What does the launch look like?"
with tempfile.TemporaryDirectory() as tmp, Index.open(path=":memory:", model=load_model()) as index:
    notes = Path(tmp, "notes.md")
    notes.write_text(NOTES)
    index.add_images([ASSETS], show_progress_bar=False)
    index.add_texts([notes], show_progress_bar=False)
    bundle = retrieve(index, question, limit=4, max_images=2)
    print(bundle.to_json())
    print("\n--- prompt ---\n" + bundle.prompt)
