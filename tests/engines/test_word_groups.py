from voxserve.engines.word_groups import group_words, share_span


def test_one_to_one_when_nothing_is_joined() -> None:
    assert group_words([3, 2, 5], [3, 2, 5]) == [1, 1, 1]


def test_joined_function_words_are_found_by_their_lengths() -> None:
    # "except for the sound", with "for the" spoken as one word (fɚðə)
    assert group_words([6, 3, 2, 5], [6, 4, 5]) == [1, 2, 1]
    assert group_words([3, 2, 4], [3, 6]) == [1, 2]


def test_no_grouping_when_more_words_are_spoken_than_written() -> None:
    assert group_words([3], [2, 2]) is None
    assert group_words([3], []) is None


def test_a_group_shares_its_span_by_length() -> None:
    assert share_span(1000, 1600, [2, 4]) == [1000, 1200]
    assert share_span(0, 300, [0, 0, 0]) == [0, 100, 200]
