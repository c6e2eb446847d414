// PKCS#11 v3.0 values pkcs11js 2.1.7 does not export (EdDSA, OASIS PKCS#11 v3.0 §2.3.x / §6.3).
export const CKK_EC_EDWARDS = 0x40;
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_EDDSA = 0x1057;

/** DER OIDs of the curves tlsedge signs with, as CKA_EC_PARAMS holds them. */
export const ecParams = {
  'P-256': Buffer.from('06082a8648ce3d030107', 'hex'),
  'P-384': Buffer.from('06052b81040022', 'hex'),
  /** RFC 8410 id-Ed25519; SoftHSM2 and OpenSC also use the PrintableString "edwards25519". */
  Ed25519: Buffer.from('06032b6570', 'hex'),
} as const;

export const ed25519NameParams = Buffer.from('130c656477617264733235353139', 'hex');

/** Session states (PKCS#11 §5.6.1) in which the user is logged in. */
export const CKS_RO_USER_FUNCTIONS = 1;
export const CKS_RW_USER_FUNCTIONS = 3;
