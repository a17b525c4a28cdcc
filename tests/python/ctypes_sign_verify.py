"""supply's C API from Python through ctypes (no binding code): load libsupply.so, make a key
pair, sign an image in a real registry, verify it with the key (accepted) and with another key
(the verification-failed code and the finding's code). Usage: ctypes_sign_verify.py LIB IMAGE
"""
import ctypes
import sys

OK, VERIFICATION_FAILED = 0, 1005

lib = ctypes.CDLL(sys.argv[1])
image = sys.argv[2].encode()
p = ctypes.c_void_p
lib.supply_version.restype = ctypes.c_char_p
lib.supply_error_message.restype = ctypes.c_char_p
lib.supply_error_message.argtypes = [p]
lib.supply_error_free.argtypes = [p]
lib.supply_string_free.argtypes = [p]
lib.supply_context_builder_new.argtypes = [ctypes.POINTER(p)]
lib.supply_context_builder_build.argtypes = [p, ctypes.POINTER(p), ctypes.POINTER(p)]
lib.supply_context_free.argtypes = [p]
lib.supply_generate_key_pair.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(p), ctypes.POINTER(p), ctypes.POINTER(p)]
lib.supply_signing_key_from_pem.argtypes = [p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(p), ctypes.POINTER(p)]
lib.supply_signing_key_free.argtypes = [p]
lib.supply_verifying_key_from_pem.argtypes = [p, ctypes.c_size_t, ctypes.POINTER(p), ctypes.POINTER(p)]
lib.supply_verifying_key_free.argtypes = [p]
lib.supply_sign_image.argtypes = [p, p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_bool, ctypes.POINTER(p), ctypes.POINTER(p)]
lib.supply_verify_image.argtypes = [p, p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(p), ctypes.POINTER(p)]
lib.supply_verdict_accepted.argtypes = [p]
lib.supply_verdict_accepted.restype = ctypes.c_bool
lib.supply_verdict_finding_code.argtypes = [p, ctypes.c_size_t]
lib.supply_verdict_finding_code.restype = ctypes.c_char_p
lib.supply_verdict_free.argtypes = [p]


def check(result, error=None, expected=OK):
    if result != expected:
        message = lib.supply_error_message(error) if error and error.value else b""
        raise SystemExit(f"result {result}, expected {expected}: {message.decode()}")


def text(pointer):
    return ctypes.string_at(pointer.value)


builder, context, error = p(), p(), p()
check(lib.supply_context_builder_new(ctypes.byref(builder)))
check(lib.supply_context_builder_build(builder, ctypes.byref(context), ctypes.byref(error)), error)


def key_pair(password):
    private, public = p(), p()
    check(lib.supply_generate_key_pair(password, len(password), ctypes.byref(private), ctypes.byref(public), None))
    pems = text(private), text(public)
    lib.supply_string_free(private)
    lib.supply_string_free(public)
    return pems


def verifying(pem):
    key = p()
    check(lib.supply_verifying_key_from_pem(pem, len(pem), ctypes.byref(key), None))
    return key


private_pem, public_pem = key_pair(b"ctypes")
_, other_pem = key_pair(b"")
signing = p()
check(lib.supply_signing_key_from_pem(private_pem, len(private_pem), b"ctypes", 6, ctypes.byref(signing), ctypes.byref(error)), error)
signed = p()
check(lib.supply_sign_image(context, signing, image, None, False, ctypes.byref(signed), ctypes.byref(error)), error)
assert b"signatureReference" in text(signed), text(signed)
lib.supply_string_free(signed)

for pem, expected in ((public_pem, OK), (other_pem, VERIFICATION_FAILED)):
    key, verdict = verifying(pem), p()
    check(lib.supply_verify_image(context, key, None, None, image, None, ctypes.byref(verdict), ctypes.byref(error)), error, expected)
    assert lib.supply_verdict_accepted(verdict) == (expected == OK)
    if expected != OK:
        assert lib.supply_verdict_finding_code(verdict, 0) == b"signature-invalid"
    lib.supply_verdict_free(verdict)
    lib.supply_verifying_key_free(key)

lib.supply_signing_key_free(signing)
lib.supply_context_free(context)
print("ok", lib.supply_version().decode())
