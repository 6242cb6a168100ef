// Entry of gateway/web/static/vendor/sm-crypto-v2.js: SM2 and SM3 of sm-crypto-v2.
export { sm2, sm3 } from 'sm-crypto-v2';
