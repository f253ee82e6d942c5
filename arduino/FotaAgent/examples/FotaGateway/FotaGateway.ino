// FotaGateway - an ESP32 that keeps an STM32F407 up to date from S3.
//
// Wiring (docs/hardware.md): VSPI MOSI 23 -> PA7, MISO 19 <- PA6,
// SCK 18 -> PA5, CS 5 -> PA4, GPIO 4 -> NRST, GND. The partitions.csv
// beside this sketch (arduino-esp32 uses a sketch folder's partitions.csv
// in place of the board's scheme) has the 512 KiB fota_stage partition
// the agent stages images in, and two OTA slots for the ESP32 itself.
//
// The Wi-Fi network (and for SigV4 the S3 key) is read from NVS, never
// compiled in: flash an NVS image made from credentials.csv
// (docs/hardware.md, "Credentials").
#include <WiFi.h>

#include "FotaAgent.h"

static FotaAgentConfig cfg;
static FotaAgentCredentials creds;

// The gateway updates itself too (cfg.gateway_product below): a new
// sketch image boots on trial, and the agent marks it valid only after it
// reached S3 and the STM32. arduino-esp32 would mark every image valid at
// start unless this says the sketch verifies it later.
extern "C" bool verifyRollbackLater() { return true; }

void setup()
{
  fota_agent_default_config(&cfg);
  // First: the STM32's reset and strap lines, before anything slow.
  fota_agent_pins_safe(&cfg);

  Serial.begin(115200);
  if (fota_agent_load_credentials(&creds, "fota_cred", false) != 0) {
    Serial.println("fota: no credentials in NVS namespace fota_cred");
    return;
  }
  WiFi.mode(WIFI_STA);
  WiFi.begin(creds.wifi_ssid, creds.wifi_pass);
  while (WiFi.status() != WL_CONNECTED)
    delay(500);
  Serial.print("fota: Wi-Fi up, ");
  Serial.println(WiFi.localIP());

  cfg.endpoint = "https://s3.eu-west-1.amazonaws.com";
  cfg.bucket = "my-firmware-bucket";
  cfg.prefix = "fw/stm32f407";
  cfg.region = "eu-west-1";
  cfg.poll_interval_s = 300;
  // The release's "gateway" target for this product is installed into the
  // other OTA slot; the sketch's version is its app description's
  // (PROJECT_VER: build with -DPROJECT_VER="x.y.z" or the board's
  // default, 0.0.0 when it does not parse).
  cfg.gateway_product = "esp32-gateway";
  // The sketch uses no SPI itself; if it did (the global SPI is VSPI):
  // fota_agent_use_hspi(&cfg);
  if (fota_agent_begin(&cfg) != 0)
    Serial.println("fota: agent did not start (see the log above)");
}

void loop()
{
  delay(1000);
}
