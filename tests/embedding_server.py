"""A real OpenAI-compatible embeddings server for the API-tower tests: LitServe's ``OpenAIEmbeddingSpec``
serving a sentence-transformers folder (the packaged all-MiniLM-L6-v2) on loopback.

LitServe (Lightning AI) owns the HTTP side: the ``/v1/embeddings`` route, request validation, the
response body, base64 encoding. This file only loads the model, refuses other model names as OpenAI
does (404 ``model_not_found``), and applies ``dimensions`` (Matryoshka: truncate, re-normalise).
For the tests it also writes one line per request to ``--log`` (model, number of inputs), and serves
``--flaky NAME``, the same model under another name, answering 503 to the first try of each request.
Run as ``python tests/embedding_server.py --folder DIR --name NAME --port PORT --log FILE`` (the
``embedding_server`` fixture of ``tests/test_api_tower_server.py`` does).
"""

import argparse

import litserve as ls
from fastapi import HTTPException
from litserve.specs import OpenAIEmbeddingSpec


class SentenceEmbeddings(ls.LitAPI):
    def __init__(self, folder: str, name: str, flaky: str, log: str):
        super().__init__(spec=OpenAIEmbeddingSpec())
        self.folder, self.name, self.flaky, self.log = folder, name, flaky, log
        self.failed = set()  # flaky requests answered 503 once already

    def setup(self, device):
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(self.folder, device="cpu")

    def decode_request(self, request):
        texts = request.ensure_list()
        with open(self.log, "a") as log:
            log.write(f"{request.model}\t{len(texts)}\n")
        if request.model == self.flaky and tuple(texts) not in self.failed:
            self.failed.add(tuple(texts))
            raise HTTPException(503, "busy, try again")
        if request.model not in (self.name, self.flaky):
            raise HTTPException(404, {"message": f"The model `{request.model}` does not exist",
                                      "type": "invalid_request_error", "code": "model_not_found"})
        return texts, request.dimensions

    def predict(self, batch):
        texts, dimensions = batch
        vectors = self.model.encode(texts, normalize_embeddings=True, convert_to_tensor=True)
        if dimensions:
            vectors = vectors[:, :dimensions]
            vectors = vectors / vectors.norm(dim=1, keepdim=True)
        return vectors

    def encode_response(self, vectors):
        return {"embeddings": vectors.tolist(), "prompt_tokens": 0, "total_tokens": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--flaky", default="flaky")
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    server = ls.LitServer(SentenceEmbeddings(args.folder, args.name, args.flaky, args.log), accelerator="cpu")
    server.run(host="127.0.0.1", port=args.port, generate_client_file=False, log_level="warning",
               api_server_worker_type="thread")


if __name__ == "__main__":
    main()
