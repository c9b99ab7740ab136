"""Every metric against values worked out by hand, including several captions per image and ties."""

import numpy as np
import pytest

from mmretrieval.evaluation.metrics import retrieval, vqa, zeroshot_classification
from mmretrieval.evaluation.metrics.ranking import hit_rates

E = np.eye(3, dtype=np.float32)
DIAG = (E[0] + E[1]) / np.sqrt(2)  # equally close to images/classes 0 and 1: a tie


def test_ties_count_as_expected_value_over_random_order():
    flat = np.ones((1, 4))
    assert hit_rates(flat, [[True, False, False, False]], [1, 2, 4]) == {1: 0.25, 2: 0.5, 4: 1.0}
    # two positives among four tied candidates: P(top 2 holds one) = 1 - C(2,2)/C(4,2) = 5/6
    two = hit_rates(flat, [[True, True, False, False]], [1, 2, 3])
    np.testing.assert_allclose([two[1][0], two[2][0], two[3][0]], [0.5, 5 / 6, 1.0])
    # one candidate strictly above, then the best positive tied with two others
    ranked = hit_rates([[3, 1, 1, 1, 0]], [[False, True, False, False, True]], [1, 2, 3, 4])
    np.testing.assert_allclose([ranked[k][0] for k in (1, 2, 3, 4)], [0, 1 / 3, 2 / 3, 1])


def test_queries_without_a_positive_are_refused():
    with pytest.raises(ValueError, match="no positive"):
        hit_rates(np.ones((2, 3)), np.array([[1, 0, 0], [0, 0, 0]], bool), [1])


def test_retrieval_multi_caption_and_ties_by_hand():
    images = E
    # captions 0,1 -> image 0; 2,3 -> image 1; 4,5 -> image 2
    texts = np.stack([E[0], E[1], E[1], DIAG, E[2], E[0]])
    links = [[0], [0], [1], [1], [2], [2]]
    m = retrieval.evaluate(images, texts, links, ks=(1, 2))
    # text->image R@1: 1, 0, 1, 1/2 (tie 0~1), 1, 0 ; R@2: 1, 1/2, 1, 1, 1, 1/2
    assert m["text_to_image_R@1"] == pytest.approx(100 * 3.5 / 6, abs=1e-3)
    assert m["text_to_image_R@2"] == pytest.approx(100 * 5 / 6, abs=1e-3)
    # image->text, any caption counts: image 0 ties t0 with t5 (1/2), image 1 ties t2 with t1 (1/2), image 2 hits
    assert m["image_to_text_R@1"] == pytest.approx(100 * 2 / 3, abs=1e-3)
    assert m["image_to_text_R@2"] == 100.0
    assert m["mean_recall"] == pytest.approx(np.mean([100 * 3.5 / 6, 100 * 5 / 6, 100 * 2 / 3, 100]), abs=1e-3)


def test_retrieval_per_language_and_mean_over_languages():
    texts = np.stack([E[0], E[1], E[1], E[2]])  # en: both right; de: first wrong, second right
    m = retrieval.evaluate(E[:2], texts, [[0], [1], [0], [1]], ks=(1,), languages=["en", "en", "de", "de"])
    assert m["en/text_to_image_R@1"] == 100.0
    assert m["de/text_to_image_R@1"] == 25.0  # E[1] -> image 1, wrong: 0; E[2] ties both images: 1/2
    assert m["text_to_image_R@1"] == 62.5
    assert m["en/image_to_text_R@1"] == 100.0  # image->text only among that language's captions


def test_zeroshot_classification_by_hand():
    classes = E
    images = np.stack([E[0], E[1], DIAG, E[1], E[2]])
    labels = [0, 0, 0, 1, 2]
    m = zeroshot_classification.evaluate(images, classes, labels, ks=(1, 2, 5))
    assert m["top1"] == pytest.approx(70.0)  # 1 + 0 + 1/2 + 1 + 1 over 5
    assert m["top2"] == pytest.approx(90.0)  # the wrong one (E[1] for class 0) ties 0 and 2 for 2nd
    assert "top5" not in m  # only 3 classes
    assert m["mean_per_class_recall"] == pytest.approx(100 * (0.5 + 1 + 1) / 3, abs=1e-3)


def test_prompt_ensemble_is_the_renormalised_mean():
    prompts = np.stack([E[0], E[1], E[2], E[2]])  # class 0: templates e0, e1; class 1: e2, e2
    classes = zeroshot_classification.class_embeddings(prompts, 2)
    np.testing.assert_allclose(classes, [DIAG, E[2]], atol=1e-6)
    with pytest.raises(ValueError, match="split evenly"):
        zeroshot_classification.class_embeddings(prompts[:3], 2)


def test_vqa_accuracy_counts_any_listed_answer_and_ties():
    assert vqa.evaluate(np.array([[0.1, 0.9, 0.5]]), [[0, 2]], ks=(1, 2)) == {"acc@1": 0.0, "acc@2": 100.0}
    assert vqa.evaluate(np.ones((1, 4)), [[1, 3]], ks=(1,)) == {"acc@1": 50.0}


def test_vqa_methods_by_hand():
    image = np.array([[0.3, 0.1, 0.2]])  # image-answer scores against identity answer vectors
    question = np.array([[0.5, 0.9, 0.1]])
    answers = E
    np.testing.assert_allclose(vqa.answer_scores("image", image, [0], answers, question), image, rtol=1e-6)
    np.testing.assert_allclose(vqa.answer_scores("question", image, [0], answers, question), question, rtol=1e-6)
    # z-scores: image [1.2247, -1.2247, 0], question [0, 1.2247, -1.2247] -> sum [1.2247, 0, -1.2247]
    composed = vqa.answer_scores("composed", image, [0], answers, question)
    np.testing.assert_allclose(composed, [[np.sqrt(1.5), 0, -np.sqrt(1.5)]], atol=1e-5)
    qa = np.stack([E[[2, 0, 1]]])  # one distinct question; its "question + answer" texts
    np.testing.assert_allclose(vqa.answer_scores("qa_text", image, [0], qa_emb=qa, qa_rows=[0]), [[0.2, 0.3, 0.1]])
    with pytest.raises(ValueError, match="unknown VQA method"):
        vqa.answer_scores("oracle", image, [0], answers, question)


def test_question_prior_leaves_the_image_out_and_combines_with_the_image():
    questions = np.stack([E[0], DIAG, E[0], E[2]])  # images 0, 0, 1, 2
    images, answers = [0, 0, 1, 2], [[0], [1], [0, 2], [1]]
    prior = vqa.question_prior(questions, images, answers, 3, k=1)
    # q0 and q1 (image 0) may not look at each other: their nearest is q2, whose two answers share a vote
    np.testing.assert_allclose(prior[:3], [[0.5, 0, 0.5], [0.5, 0, 0.5], [1, 0, 0]])
    image_emb = np.stack([E[2], E[0], E[0]])  # image 0 looks like answer 2
    scores = vqa.answer_scores("prior_image", image_emb, images, E, questions, answers=answers)
    z = np.array([-1, -1, 2]) / np.sqrt(2)  # image 0's scores [0, 0, 1] standardised
    wide = [0.25, 0.5, 0.25]  # default k: all (two) questions about other images, q2's vote split
    np.testing.assert_allclose(vqa.question_prior(questions, images, answers, 3)[0], wide)
    np.testing.assert_allclose(scores[0], np.log(np.array(wide) + vqa.PRIOR_FLOOR) + z, atol=1e-5)
    assert vqa.evaluate(scores[:1], answers[:1], ks=(1,)) == {"acc@1": 0.0}  # the image's answer 2 wins


def test_training_dev_recall_is_the_evaluators_tie_fair_recall_under_short_names():
    import torch

    from mmretrieval.train.metrics import retrieval_recall

    images = torch.from_numpy(E)
    texts = torch.from_numpy(np.stack([E[0], E[1], E[1], DIAG, E[2], E[0]]))
    short = retrieval_recall(images, texts * 3, torch.tensor([0, 0, 1, 1, 2, 2]), ks=(1, 2))  # normalised here
    full = retrieval.evaluate(E, texts.numpy(), [[0], [0], [1], [1], [2], [2]], ks=(1, 2))
    assert short["t2i_R@1"] == full["text_to_image_R@1"] and short["i2t_R@2"] == full["image_to_text_R@2"]
    assert short["rsum"] == pytest.approx(sum(v for k, v in full.items() if "_R@" in k))
    # a scorer that ties everything gets chance, not the 100 % an optimistic "nothing scores higher" gives
    flat = retrieval_recall(torch.ones(4, 3), torch.ones(8, 3), torch.arange(8) % 4, ks=(1,))
    assert flat["t2i_R@1"] == 25.0 and flat["i2t_R@1"] == 25.0  # 1 of 4 images; 2 of 8 captions
