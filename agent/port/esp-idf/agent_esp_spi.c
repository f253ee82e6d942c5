/*
 * agent_esp_spi.c - SPI port on ESP-IDF's spi_master (see agent_esp.h).
 *
 * Polling transactions (spi_device_polling_transmit): an AN4286 session
 * is mostly one-byte ACK polls, and a polling transaction costs about
 * 8-10 us against 25-28 us for an interrupt-driven one. The bus is
 * acquired while CS is asserted, which also keeps other devices off it
 * during a session. Transfers of up to 4 bytes go through the
 * transaction's own tx_data/rx_data (no DMA descriptor set-up); longer
 * ones through DMA-capable buffers allocated once.
 *
 * A streaming-write phase is hundreds of back-to-back transactions
 * (about 1.7 s at 8 MHz, much longer at low clocks) that never block, so
 * the task would starve the idle task and trip the task watchdog (and,
 * under arduino-esp32, the loop task's): every AGENT_ESP_YIELD_US of
 * transfers the port blocks for one tick (agent_esp_yield_due()).
 */
#include "agent_esp.h"

#include <string.h>

#include "driver/gpio.h"
#include "esp_heap_caps.h"
#include "esp_idf_version.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "fota/fota_err.h"

static int esp_err_to_fota(esp_err_t err)
{
    if (err == ESP_OK)
        return 0;
    if (err == ESP_ERR_TIMEOUT)
        return FOTA_ERR_TIMEOUT;
    if (err == ESP_ERR_NO_MEM)
        return FOTA_ERR_NOMEM;
    return FOTA_ERR_PLATFORM(err);
}

static int spi_xfer(agent_spi_t *self, const uint8_t *tx, uint8_t *rx,
                    size_t len, uint32_t timeout_ms)
{
    agent_esp_spi_t *s = AGENT_CONTAINER_OF(self, agent_esp_spi_t, base);
    size_t done = 0;

    /* spi_device_polling_transmit() has no timeout of its own: the
     * transaction is clocked by the master, so it always ends after
     * len * 8 SCK periods; a dead slave just reads 0xFF/0x00. */
    (void)timeout_ms;
    if (agent_esp_yield_due(&s->last_yield_us, esp_timer_get_time()))
        vTaskDelay(1); /* blocks until the next tick: idle task runs */
    while (done < len) {
        spi_transaction_t t;
        size_t n = len - done;
        esp_err_t err;

        if (n > AGENT_ESP_SPI_CHUNK)
            n = AGENT_ESP_SPI_CHUNK;
        memset(&t, 0, sizeof t);
        t.length = n * 8; /* bits; full duplex: rxlength 0 = same */
        if (n <= 4) {
            t.flags = SPI_TRANS_USE_TXDATA | SPI_TRANS_USE_RXDATA;
            if (tx != NULL)
                memcpy(t.tx_data, tx + done, n);
        } else {
            if (tx != NULL)
                memcpy(s->dma_tx, tx + done, n);
            else
                memset(s->dma_tx, 0x00, n); /* dummy bytes are 0x00 */
            t.tx_buffer = s->dma_tx;
            t.rx_buffer = s->dma_rx;
        }
        err = spi_device_polling_transmit(s->dev, &t);
        if (err != ESP_OK)
            return esp_err_to_fota(err);
        if (rx != NULL)
            memcpy(rx + done, n <= 4 ? t.rx_data : s->dma_rx, n);
        done += n;
    }
    return 0;
}

static int spi_set_cs(agent_spi_t *self, bool asserted)
{
    agent_esp_spi_t *s = AGENT_CONTAINER_OF(self, agent_esp_spi_t, base);
    esp_err_t err;

    if (asserted && !s->bus_held) {
        /* The driver only accepts portMAX_DELAY here; the bus has no
         * other user in the example, so this returns at once. From 6.0
         * the parameter is a uint32_t (TickType_t before); on the ESP32
         * both are 32 bits, the cast only matters to a 64-bit host
         * type-check. */
#if ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(6, 0, 0)
        err = spi_device_acquire_bus(s->dev, (uint32_t)portMAX_DELAY);
#else
        err = spi_device_acquire_bus(s->dev, portMAX_DELAY);
#endif
        if (err != ESP_OK)
            return esp_err_to_fota(err);
        s->bus_held = true;
    }
    err = gpio_set_level((gpio_num_t)s->cs_pin, asserted ? 0 : 1);
    if (!asserted && s->bus_held) {
        spi_device_release_bus(s->dev);
        s->bus_held = false;
    }
    return esp_err_to_fota(err);
}

static const agent_spi_ops_t s_spi_ops = {
    .xfer = spi_xfer,
    .set_cs = spi_set_cs,
};

int agent_esp_spi_open(agent_esp_spi_t *s, spi_host_device_t host, int mosi,
                       int miso, int sck, int cs_pin, int hz)
{
    spi_bus_config_t bus;
    spi_device_interface_config_t dev;
    gpio_config_t io;
    esp_err_t err;

    memset(s, 0, sizeof *s);
    s->base.ops = &s_spi_ops;
    s->host = host;
    s->cs_pin = cs_pin;
    s->last_yield_us = esp_timer_get_time();

    /* CS first, high, so the target never sees a select (or the strap)
     * while the bus comes up. Setting the level before the direction
     * avoids a glitch low. */
    gpio_set_level((gpio_num_t)cs_pin, 1);
    memset(&io, 0, sizeof io);
    io.pin_bit_mask = 1ULL << cs_pin;
    io.mode = GPIO_MODE_OUTPUT;
    io.pull_up_en = GPIO_PULLUP_DISABLE;
    io.pull_down_en = GPIO_PULLDOWN_DISABLE;
    io.intr_type = GPIO_INTR_DISABLE;
    err = gpio_config(&io);
    if (err != ESP_OK)
        return esp_err_to_fota(err);
    gpio_set_level((gpio_num_t)cs_pin, 1);

    s->dma_tx = heap_caps_malloc(AGENT_ESP_SPI_CHUNK, MALLOC_CAP_DMA);
    s->dma_rx = heap_caps_malloc(AGENT_ESP_SPI_CHUNK, MALLOC_CAP_DMA);
    if (s->dma_tx == NULL || s->dma_rx == NULL) {
        err = ESP_ERR_NO_MEM;
        goto out;
    }

    memset(&bus, 0, sizeof bus);
    bus.mosi_io_num = mosi;
    bus.miso_io_num = miso;
    bus.sclk_io_num = sck;
    bus.quadwp_io_num = -1;
    bus.quadhd_io_num = -1;
    bus.max_transfer_sz = AGENT_ESP_SPI_CHUNK;
    err = spi_bus_initialize(host, &bus, SPI_DMA_CH_AUTO);
    if (err != ESP_OK)
        goto out;

    memset(&dev, 0, sizeof dev);
    dev.mode = 0; /* CPOL 0, CPHA 0, as the STM32 slave */
    dev.clock_speed_hz = hz;
    dev.spics_io_num = -1; /* CS is ours (see above) */
    dev.queue_size = 1;    /* polling only */
    err = spi_bus_add_device(host, &dev, &s->dev);
    if (err != ESP_OK) {
        spi_bus_free(host);
        goto out;
    }
    return 0;
out:
    heap_caps_free(s->dma_tx);
    heap_caps_free(s->dma_rx);
    s->dma_tx = NULL;
    s->dma_rx = NULL;
    return esp_err_to_fota(err);
}
