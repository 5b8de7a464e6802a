import math

from cases import receipts


def test_a_code_has_at_least_the_entropy_of_sixteen_random_digits():
    bits = receipts.CODE_LENGTH * math.log2(len(receipts.ALPHABET))
    assert bits >= 16 * math.log2(10)
    codes = {receipts.receipt_code_for(receipts.new_submission_token()) for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert receipts.is_well_formed(code)


def test_the_same_submission_gives_the_same_code_and_another_gives_another():
    token = receipts.new_submission_token()
    assert receipts.receipt_code_for(token) == receipts.receipt_code_for(token)
    assert receipts.receipt_code_for(token) != receipts.receipt_code_for(
        receipts.new_submission_token()
    )


def test_codes_are_read_the_way_people_type_them():
    code = "K7QM3XPAV9TD2HWE"
    assert receipts.display(code) == "K7QM-3XPA-V9TD-2HWE"
    typed = " k7qm-3xpa v9td-2hwe "
    assert receipts.receipt_hash(typed) == receipts.receipt_hash(code)
    assert receipts.normalise("O1IL") == "0111"
    assert not receipts.is_well_formed("K7QM-3XPA")


def test_only_keyed_hashes_are_stored(settings):
    code = receipts.receipt_code_for("token")
    stored = receipts.receipt_hash(code)
    assert code not in stored
    assert len(stored) == 64
    settings.RECEIPT_HASH_KEY = "another-key-of-sufficient-length-000000"
    assert receipts.receipt_hash(code) != stored
